// The terminal console (src/console/format-table.ts) and the browser console (static/console/src/wire-values.js)
// escape the same characters the same way: the rule is written twice (the page is plain browser JavaScript,
// built apart), so this keeps the two copies equal.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { escapeControls, INVISIBLE } from '../../src/console/format-table.js'

const page = new URL('../../../static/console/src/wire-values.js', import.meta.url).href

test('one INVISIBLE pattern and one escape, in the terminal and in the page', async () => {
  const browser = await import(page) as { INVISIBLE: RegExp; escapedText: (s: string) => string }
  assert.is(browser.INVISIBLE.source, INVISIBLE.source)
  assert.is(browser.INVISIBLE.flags, INVISIBLE.flags)
  const sample = 'a\u202eb\u2066c\u200bd\u0085e\u0001f\u{e0001}g\n\t\rh\u200di\ufeffj\u2028k'
  assert.is(browser.escapedText(sample), escapeControls(sample))
  assert.is(escapeControls(sample), 'a\\u202eb\\u2066c\\u200bd\\x85e\\x01f\\u{e0001}g\\n\\t\\rh\u200di\\ufeffj\\u2028k')
})

test.run()
