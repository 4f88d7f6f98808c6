// The schema sidebar: tables with their partitions, columns (type, key) and indexes, functions with their
// table, export, fuel and memory. Clicking a name inserts it at the editor's cursor, "quoted" if it must be
// (a column named `select`).
import { el } from './dom.js'
import { columnDetail } from './editor.js'
import { sqlFunctionName, sqlName } from './sql-names.js'

function nameButton(name, insert, title, asSql = sqlName) {
  const b = el('button', 'insert', name)
  b.type = 'button'
  b.title = title
  b.dataset.insert = name
  b.addEventListener('click', () => insert(asSql(name)))
  return b
}

function bytesText(n) {
  return n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`
}

/** Renders `catalog` (catalog.js) into the sidebar's two lists. */
export function renderSchema({ tablesList, functionsList }, catalog, insert) {
  tablesList.replaceChildren()
  for (const t of catalog.tables) {
    const li = el('li', 'table')
    li.dataset.table = t.name
    const head = el('div', 'head')
    head.append(nameButton(t.name, insert, `insert ${t.name}`), el('span', 'detail', `${t.partitions} partition${t.partitions === 1 ? '' : 's'}, key ${t.key}`))
    li.appendChild(head)
    const columns = el('ul', 'columns')
    for (const c of t.columns ?? []) {
      const item = el('li', 'column')
      item.dataset.column = c.name
      item.append(nameButton(c.name, insert, `insert ${c.name}`), el('span', 'detail', columnDetail(c)))
      columns.appendChild(item)
    }
    if (t.columns === null) columns.appendChild(el('li', 'detail', '(columns not read)'))
    li.appendChild(columns)
    if (t.indexes.length > 0) {
      const indexes = el('ul', 'indexes')
      for (const i of t.indexes) {
        const item = el('li', 'index')
        item.dataset.index = i.name
        item.append(nameButton(i.name, insert, `insert ${i.name}`), el('span', 'detail', `index on (${i.columns})`))
        indexes.appendChild(item)
      }
      li.appendChild(indexes)
    }
    tablesList.appendChild(li)
  }
  if (catalog.tables.length === 0) tablesList.appendChild(el('li', 'empty', 'no tables yet'))

  functionsList.replaceChildren()
  for (const f of catalog.functions) {
    const li = el('li', 'function')
    li.dataset.function = f.name
    li.append(
      nameButton(f.name, insert, `insert ${f.name}`, sqlFunctionName),
      el('span', 'detail', `table ${f.table} · export ${f.export} · fuel ${f.fuel} · memory ${bytesText(f.memory)}`),
    )
    functionsList.appendChild(li)
  }
  if (catalog.functions.length === 0) functionsList.appendChild(el('li', 'empty', 'no functions yet'))
}
