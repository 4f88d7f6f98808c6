// The AcheronError a promise rejects with; a fulfilment or any other error fails the test.
import * as assert from 'uvu/assert'
import { AcheronError } from '../../src/index.js'

export async function rejection(p: Promise<unknown>): Promise<AcheronError> {
  try {
    await p
  } catch (err) {
    assert.instance(err, AcheronError)
    return err as AcheronError
  }
  throw new Error('expected a rejection')
}
