// The one DOM helper every module of the page uses.

/** A new `tag` element with an optional class name and text content. */
export function el(tag, className, text) {
  const e = document.createElement(tag)
  if (className) e.className = className
  if (text !== undefined) e.textContent = text
  return e
}
