// The Backup dialog's strength estimates, off the main thread (source/core/password-strength.ts strengthThread):
// loading zxcvbn-ts's dictionaries and building its ranked word lists takes about 0.3 s of CPU, and one estimate up
// to tens of milliseconds; on the main thread that would stall the keys typed meanwhile.
// Loaded as a worker from source (tsx) and from dist/password-strength-worker.js (an entry point of scripts/build.js).
import {parentPort} from 'node:worker_threads';
import {loadPasswordStrength, type PasswordStrength} from './password-strength.ts';

export type StrengthRequest = {id: number; password: string};
export type StrengthAnswer = {id: number; strength: PasswordStrength};

const port = parentPort;
if (port) {
	// Requests sent while the dictionaries load wait in the port's queue: it starts with the listener.
	const estimate = await loadPasswordStrength();
	port.on('message', ({id, password}: StrengthRequest) => {
		port.postMessage({id, strength: estimate(password)} satisfies StrengthAnswer);
	});
}
