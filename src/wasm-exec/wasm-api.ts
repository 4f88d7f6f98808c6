/**
 * The JS WebAssembly API, typed locally: the project's lib (ES2023 + @types/node 20) has no WebAssembly
 * declarations, and a global declaration here would leak into every other folder.
 */
export interface WasmMemory { readonly buffer: ArrayBuffer; grow(deltaPages: number): number }
export interface WasmGlobal { value: unknown }
export interface WasmModule { readonly __wasmModule?: never }
export interface WasmInstance { readonly exports: Record<string, unknown> }
export interface WasmImportDescriptor { readonly module: string; readonly name: string; readonly kind: string }
export interface WasmExportDescriptor { readonly name: string; readonly kind: string }
export type WasmImports = Record<string, Record<string, unknown>>

interface WebAssemblyApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(m: WasmModule): WasmImportDescriptor[]; exports(m: WasmModule): WasmExportDescriptor[] }
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory
  validate(bytes: Uint8Array): boolean
  RuntimeError: new (message?: string) => Error
  CompileError: new (message?: string) => Error
  LinkError: new (message?: string) => Error
}

export const Wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly
