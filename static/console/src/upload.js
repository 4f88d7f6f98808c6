// Function upload: the page reads the chosen .wasm file in the browser, lists the module's exported
// functions (wasm-exports.js) with a checkbox each, and registers the checked ones in one DDL transaction,
// `CREATE [OR REPLACE] FUNCTIONS t.(a, b) FROM WASM BASE64 '...' [WITH (FUEL = n)]`; or one function under
// a name of its own, `CREATE [OR REPLACE] FUNCTION t.f FROM WASM BASE64 '...' [EXPORT 'e'] [WITH (FUEL = n)]`
// (docs/sql.md). The server never opens a path, so the bytes travel as base64 inside the statement.
import { sqlFunctionName, sqlName } from './sql-names.js'
import { moduleExports } from './wasm-exports.js'

/**
 * The largest module the page sends: its base64 (4/3 of it) plus the statement stays below the server's
 * default frame limit, ACHERON_PAYLOAD_BYTES_MAX = 16 MiB (docs/console-browser.md).
 */
export const WASM_UPLOAD_BYTES_MAX = 12 * 1024 * 1024
/** Exports listed with a checkbox; the server registers at most FUNCTIONS_PER_DDL_MAX (1,024) at once. */
export const WASM_EXPORTS_LISTED_MAX = 1024

const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function bytesToBase64(bytes) {
  let bin = ''
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK))
  return btoa(bin)
}

function sqlText(s) {
  return "'" + s.replace(/'/g, "''") + "'"
}

/**
 * Wires the upload form. `runSql(sql, label)` runs a statement and shows its result under `label`
 * (main.js); `registered()` runs after a CREATE was sent. What is wrong with the form itself (no file,
 * no export checked, a bad fuel) is said under the form, with no error code: nothing was sent.
 */
export function mountUpload({ $, runSql, registered }) {
  const problemLine = $('upload-problem')
  const problem = (message) => {
    problemLine.textContent = message
    problemLine.hidden = false
  }
  const clearProblem = () => {
    problemLine.textContent = ''
    problemLine.hidden = true
  }
  const fileInput = $('wasm-file')
  const list = $('wasm-export-list')
  const box = $('wasm-exports')
  /** The read of the file chosen last: the buttons wait for it (a click may come before it is done). */
  let reading = Promise.resolve(null)

  async function read() {
    const file = fileInput.files[0]
    list.replaceChildren()
    box.hidden = true
    if (file === undefined) return null
    if (file.size > WASM_UPLOAD_BYTES_MAX) throw new Error(`${file.name} has ${file.size} bytes; the page sends at most ${WASM_UPLOAD_BYTES_MAX}`)
    const bytes = new Uint8Array(await file.arrayBuffer())
    let exports
    try {
      exports = moduleExports(bytes)
    } catch (err) {
      // The server says why in its own words (INVALID_WASM) if the module is sent anyway.
      exports = []
      list.textContent = `cannot list the exports: ${err instanceof Error ? err.message : String(err)}`
      box.hidden = false
    }
    renderExports(exports)
    return { file, bytes, exports }
  }

  function renderExports(exports) {
    if (exports.length === 0) return
    for (const e of exports.slice(0, WASM_EXPORTS_LISTED_MAX)) {
      const label = document.createElement('label')
      label.className = 'export' + (e.callable ? '' : ' unusable')
      const check = document.createElement('input')
      check.type = 'checkbox'
      check.value = e.name
      check.disabled = !e.callable
      label.append(check, ` ${e.name}`)
      if (!e.callable) {
        const why = document.createElement('small')
        why.textContent = ` (${e.reason})`
        label.appendChild(why)
      }
      list.appendChild(label)
    }
    if (exports.length > WASM_EXPORTS_LISTED_MAX) list.appendChild(document.createTextNode(`… and ${exports.length - WASM_EXPORTS_LISTED_MAX} more`))
    box.hidden = false
  }

  fileInput.addEventListener('change', () => {
    clearProblem()
    reading = read()
    reading.catch((err) => problem(err.message))
  })

  const common = () => {
    const fuel = $('fn-fuel').value.trim()
    return { fuel, replace: $('fn-replace').checked, fuelProblem: fuel !== '' && !/^[1-9][0-9]*$/.test(fuel) ? 'fuel is a positive integer' : null }
  }
  const module = () => reading

  // One function under its own name (the export defaults to that name).
  $('upload').addEventListener('click', async () => {
    const name = $('fn-name').value.trim()
    const exportName = $('fn-export').value.trim()
    const { fuel, replace, fuelProblem } = common()
    let m
    try { m = await module() } catch (err) { return problem(err.message) }
    const reason = m === null ? 'choose a .wasm file'
      : !/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? 'name the function as table.function'
      : fuelProblem
    if (reason !== null) return problem(reason)
    clearProblem()
    // A table or function named by a reserved word (`order`) is written quoted, as the sidebar writes it.
    const head = `CREATE ${replace ? 'OR REPLACE ' : ''}FUNCTION ${sqlFunctionName(name)} FROM WASM BASE64 `
    const tail = (exportName !== '' ? ` EXPORT ${sqlText(exportName)}` : '') + (fuel !== '' ? ` WITH (FUEL = ${fuel})` : '')
    await runSql(`${head}'${bytesToBase64(m.bytes)}'${tail};`, `${head}'…' (${m.file.name}, ${m.bytes.length} bytes)${tail}`)
    registered()
  })

  // The checked exports, each under its own name, in one statement.
  $('upload-many').addEventListener('click', async () => {
    const table = $('fns-table').value.trim()
    const { fuel, replace, fuelProblem } = common()
    let m
    try { m = await module() } catch (err) { return problem(err.message) }
    const names = [...list.querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value)
    const reason = m === null ? 'choose a .wasm file'
      : !BARE_NAME.test(table) ? 'name the table the functions belong to'
      : names.length === 0 ? 'check the exports to register'
      : fuelProblem
    if (reason !== null) return problem(reason)
    clearProblem()
    const head = `CREATE ${replace ? 'OR REPLACE ' : ''}FUNCTIONS ${sqlName(table)}.(${names.map(sqlName).join(', ')}) FROM WASM BASE64 `
    const tail = fuel !== '' ? ` WITH (FUEL = ${fuel})` : ''
    await runSql(`${head}'${bytesToBase64(m.bytes)}'${tail};`, `${head}'…' (${m.file.name}, ${m.bytes.length} bytes)${tail}`)
    registered()
  })
}
