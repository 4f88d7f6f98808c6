// Read-only queries take positions after the last released batch's transactions, in arrival order; a
// follower's reads reserve seqs at the batch it held, never one another read got (src/txn/read-positions.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { READ_SEQ_BATCHES_KEPT, ReadPositionBook } from '../../src/txn/read-positions.js'

test('reads follow the last released batch\'s transactions, numbered in arrival order, and start again after the next', () => {
  const book = new ReadPositionBook(7, 3)
  assert.equal(book.take(1), { batch: 7, seq: 3 })
  assert.equal(book.take(2), { batch: 7, seq: 4 }, 'two positions: the first returned, the next is 5')
  assert.equal(book.take(1), { batch: 7, seq: 6 })
  book.released(8, 10)
  assert.is(book.lastReleased, 8)
  assert.equal(book.take(1), { batch: 8, seq: 10 })
})

test('a follower reserving at an older batch gets seqs after every read there, and nobody gets them again', () => {
  const book = new ReadPositionBook(1, 2)
  book.take(3) // seqs 2, 3, 4 at batch 1
  book.released(2, 5)
  assert.equal(book.reserve(2, 1), { batch: 1, seq: 5 }, 'after the three reads at batch 1')
  assert.equal(book.reserve(1, 1), { batch: 1, seq: 7 })
  assert.equal(book.reserve(1, 2), { batch: 2, seq: 5 }, 'at the last released batch: as a read here')
  assert.equal(book.take(1), { batch: 2, seq: 6 }, 'and a read here comes after it')
  assert.is(book.reserve(1, 3), null, 'a batch not released yet')
})

test(`seqs are kept for the last ${READ_SEQ_BATCHES_KEPT} batches before the last released, no more`, () => {
  const book = new ReadPositionBook(0, 0)
  for (let b = 1; b <= READ_SEQ_BATCHES_KEPT + 1; b++) book.released(b, 1)
  assert.is(book.reserve(1, 0), null, 'batch 0 is one too old')
  assert.equal(book.reserve(1, 1), { batch: 1, seq: 1 })
})

test.run()
