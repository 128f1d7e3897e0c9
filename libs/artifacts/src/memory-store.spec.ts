import { MemoryObjectStore } from './memory-store';
import { objectStoreContract } from '../test/store-contract';

const store = new MemoryObjectStore();
objectStoreContract('MemoryObjectStore', () => store);
