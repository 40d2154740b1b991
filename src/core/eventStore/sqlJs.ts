import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;

/** Where the wasm may be: beside the bundle (dist/), or in node_modules when running from sources. */
function wasmCandidates(explicit?: string): string[] {
  const list: string[] = [];
  if (explicit) list.push(explicit);
  if (process.env.EVENT_STORE_SQL_WASM) list.push(process.env.EVENT_STORE_SQL_WASM);
  list.push(path.join(__dirname, 'sql-wasm.wasm'));
  try {
    list.push(path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm'));
  } catch {
    // Bundled: only the copy beside the bundle exists.
  }
  return list;
}

/** Loads sql.js once per process from a wasm file on disk; it is never fetched. */
export function loadSqlJs(wasmPath?: string): Promise<SqlJsStatic> {
  if (!loading) {
    const candidates = wasmCandidates(wasmPath);
    const found = candidates.find((p) => fs.existsSync(p));
    if (!found) return Promise.reject(new Error(`sql-wasm.wasm was not found (looked in ${candidates.join(', ')}).`));
    const wasmBinary = fs.readFileSync(found);
    loading = initSqlJs({
      wasmBinary: wasmBinary.buffer.slice(
        wasmBinary.byteOffset,
        wasmBinary.byteOffset + wasmBinary.byteLength,
      ) as ArrayBuffer,
    });
    loading.catch(() => (loading = undefined));
  }
  return loading;
}
