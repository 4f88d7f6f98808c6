// How the command line reads a number. Number() takes '0x10', '1e3', ' 3' and '1.0', so `--seed 0x10`
// ran seed 16 and printed it as given; an option's number is written in decimal, as its help shows.

/** `text` as a decimal number (optionally signed, with a fraction when `fraction`), else NaN. */
export function decimal(text: string, fraction = false): number {
  return (fraction ? /^-?(\d+(\.\d*)?|\.\d+)$/ : /^-?\d+$/).test(text) ? Number(text) : NaN
}
