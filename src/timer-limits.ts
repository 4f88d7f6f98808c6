// What Node's timers can wait: the bound of every option that becomes a setTimeout or setInterval delay.

/** The longest delay setTimeout keeps (2^31-1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const TIMER_MS_MAX = 2 ** 31 - 1
