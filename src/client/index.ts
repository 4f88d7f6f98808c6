// The light client's entry point (@acheron/client, packages/client): `connect()` and what its results and
// errors are made of. Everything reachable from here must run on `ws` and Node's own modules alone —
// scripts/build-client.js copies this module graph into the package and refuses any other import.
export { connect, RemoteDatabase, isOutcomeUnknown } from './remote.js'
export type {
  RemoteConnectOptions, ReconnectOptions, RemoteFunctionOptions, RemoteStatementResult, RemoteCallResult,
  RemoteLoggedCallResult, RemoteCommitResult, RemoteQueryResult, RemoteQueryOptions, ObjectRow, ServerInfo,
} from './remote.js'
export { AcheronError, ERROR_CODES } from '../errors.js'
export type { ErrorCode, CommitPosition, AcheronErrorDetails, CompletedStatement } from '../errors.js'
export type { SqlValue } from '../values.js'
export type { Database } from '../database.js'
