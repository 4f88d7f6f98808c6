// CodeMirror's styles under the page's strict CSP (`style-src 'self'`, no 'unsafe-inline', no nonce).
//
// CodeMirror defines its CSS in JavaScript and mounts it through style-mod's StyleModule.mount. For a
// document (as opposed to a shadow root) style-mod 4 writes the rules into a <style> element, which the
// CSP refuses: the editor would lose its layout and Chromium would log a violation per mount. A
// constructable stylesheet (`new CSSStyleSheet()`, `document.adoptedStyleSheets`) is CSSOM, which CSP does
// not govern, so the same rules mounted that way apply without widening the policy (verified in Chromium
// by test/server/browser-editor.test.ts: no `securitypolicyviolation`, and the editor's base theme
// applies). This module makes StyleModule.mount do that for documents; shadow roots keep style-mod's own
// path, which already uses adopted sheets. Import it before any EditorView is created.
import { StyleModule } from 'style-mod'

const mountOriginal = StyleModule.mount

/** Per document: the sheet it adopted and the modules in it, in cascade order (later wins). */
const mounted = new WeakMap()

function mountAdopted(doc, modules) {
  let entry = mounted.get(doc)
  if (entry === undefined) {
    entry = { sheet: new doc.defaultView.CSSStyleSheet(), modules: [] }
    mounted.set(doc, entry)
    // Adopted sheets cascade after the page's <link> sheets: console.css overrides CodeMirror's rules only
    // with more specific selectors, so the editor's own sizes and fonts are a theme in editor.js.
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, entry.sheet]
  }
  // The order style-mod keeps: each module of this call after the previous one; a module already mounted
  // before its predecessor in this call moves after it.
  let changed = false
  let at = 0
  for (const mod of modules) {
    const index = entry.modules.indexOf(mod)
    if (index >= at) { at = index + 1; continue }
    if (index > -1) {
      entry.modules.splice(index, 1)
      at--
    }
    entry.modules.splice(at++, 0, mod)
    changed = true
  }
  if (changed) entry.sheet.replaceSync(entry.modules.map((m) => m.getRules()).join('\n'))
}

StyleModule.mount = function mount(root, modules, options) {
  const list = Array.isArray(modules) ? modules : [modules]
  if (root.nodeType === 9 && 'adoptedStyleSheets' in root && typeof root.defaultView?.CSSStyleSheet === 'function') {
    mountAdopted(root, list)
    return
  }
  mountOriginal.call(StyleModule, root, list, options)
}
