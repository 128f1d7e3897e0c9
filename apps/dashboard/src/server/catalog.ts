import { EMPTY_CATALOG, type Catalog } from '../lib/catalog';
import { trainer } from './grpc';

/**
 * The trainer's catalogue for a page, or the empty one with the error where the trainer cannot give it
 * (the page still lists runs, by method id and without published numbers).
 */
export async function loadCatalog(): Promise<{ catalog: Catalog; error?: unknown }> {
  try {
    return { catalog: await trainer.getCatalog() };
  } catch (error) {
    return { catalog: EMPTY_CATALOG, error };
  }
}
