/**
 * The package's public API as the TypeScript compiler sees it: every export of src/index.ts with
 * its resolved symbol (aliases followed), for the tests that check every export (TSDoc,
 * argument checks). Not a vitest file.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** src/index.ts, absolute. */
export const ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** One export: its public name and the symbol it resolves to. */
export interface PublicExport {
  readonly name: string;
  readonly symbol: ts.Symbol;
}

/**
 * Compiles src/index.ts (no emit) and lists its exports, with the checker for their docs and types.
 * @example
 * const { checker, exports } = publicApi();
 * exports.map((e) => e.name);
 */
export function publicApi(): { readonly checker: ts.TypeChecker; readonly exports: readonly PublicExport[] } {
  const program = ts.createProgram([ENTRY], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!).map((exported) => ({
    name: exported.name,
    symbol: exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported,
  }));
  return { checker, exports };
}
