/** Worker thread of list-upkeep.ts: trains the vector lists of a sample off the thread that serves requests. */
import { parentPort, workerData } from 'node:worker_threads';
import { trainLists } from './vector-lists.js';

const { rows, dim, lists } = workerData as { rows: Float32Array; dim: number; lists: number };
parentPort!.postMessage(trainLists(rows, dim, lists));
