/**
 * The package's public API is documented (the project's bar: public exports have TSDoc with an
 * example): every value the entry point exports (function, class, constant) has a doc comment with
 * an `@example`, and every exported type has a doc comment. Read with the TypeScript compiler from
 * src/index.ts, so a new export without docs fails here, not in review.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ENTRY, publicApi } from '../public-api.js';

interface ExportDoc {
  readonly name: string;
  readonly file: string;
  readonly isValue: boolean;
  readonly hasDoc: boolean;
  readonly hasExample: boolean;
}

function publicExports(): ExportDoc[] {
  const { checker, exports } = publicApi();
  return exports.map(({ name, symbol }) => {
    const decl = symbol.getDeclarations()![0];
    return {
      name,
      file: decl.getSourceFile().fileName.slice(ENTRY.length - 'src/index.ts'.length),
      isValue: (symbol.flags & ts.SymbolFlags.Value) !== 0,
      hasDoc: ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== '',
      hasExample: symbol.getJsDocTags(checker).some((t) => t.name === 'example'),
    };
  });
}

describe('TSDoc of the public API', () => {
  const exports = publicExports();

  it('reads the whole entry point', () => {
    // the entry re-exports a few hundred names; a resolution failure would leave almost none
    expect(exports.length).toBeGreaterThan(200);
    expect(exports.map((e) => e.name)).toEqual(expect.arrayContaining(['quantize', 'linear', 'Tensor', 'DTYPES', 'QuantizeOptions']));
  });

  it('gives every exported function, class and constant a doc comment with an @example', () => {
    const missing = exports.filter((e) => e.isValue && !(e.hasDoc && e.hasExample)).map((e) => `${e.name} (${e.file})`);
    expect(missing).toEqual([]);
  });

  it('gives every exported type a doc comment', () => {
    const missing = exports.filter((e) => !e.isValue && !e.hasDoc).map((e) => `${e.name} (${e.file})`);
    expect(missing).toEqual([]);
  });
});
