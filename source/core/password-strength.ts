import type {Worker} from 'node:worker_threads';
import {startSiblingWorker} from './worker-thread.ts';
import {normalizePassword} from './password-policy.ts';
import type {StrengthAnswer, StrengthRequest} from './password-strength-worker.ts';

/**
 * Beyond SSRS: a strength estimate that warns about the passwords attackers try first — `Password1!`, `P@ssw0rd123!`
 * — which the SSRS policy (password-policy.ts) accepts. It never blocks. The estimate is zxcvbn-ts with its common
 * and English dictionaries and its English feedback.
 *
 * The dictionaries are megabytes of word lists, so they load on first need, by dynamic import (the bundle keeps them
 * in chunks of their own, outside the first frame). The commands estimate in-process (`estimatePasswordStrength`);
 * the Backup dialog asks a worker thread (`estimateInThread`), so that neither the load nor an estimate ever holds
 * up the keys being typed.
 */
export type PasswordStrengthLabel = 'very weak' | 'weak' | 'fair' | 'strong' | 'very strong';

/** Score as zxcvbn's 0–4; warnings first zxcvbn's warning (what makes it guessable), then its suggestions. */
export type PasswordStrength = {score: 0 | 1 | 2 | 3 | 4; label: PasswordStrengthLabel; warnings: string[]};

export type PasswordStrengthEstimator = (password: string) => PasswordStrength;

const strengthLabels: readonly PasswordStrengthLabel[] = ['very weak', 'weak', 'fair', 'strong', 'very strong'];

/**
 * How much of a password the estimate reads: zxcvbn's matching grows faster than the length, so a pasted 100,000
 * characters must not reach it whole. Beyond 256 characters a password is strong whatever follows.
 */
export const strengthInputLimit = 256;

let loading: Promise<PasswordStrengthEstimator> | undefined;
let loaded: PasswordStrengthEstimator | undefined;

async function createEstimator(): Promise<PasswordStrengthEstimator> {
	const [{ZxcvbnFactory}, common, english] = await Promise.all([
		import('@zxcvbn-ts/core'),
		import('@zxcvbn-ts/language-common'),
		import('@zxcvbn-ts/language-en'),
	]);
	const zxcvbn = new ZxcvbnFactory({
		dictionary: {...common.dictionary, ...english.dictionary},
		graphs: common.adjacencyGraphs,
		translations: english.translations,
		maxLength: strengthInputLimit,
	});
	return password => {
		// The same form the KDF and the policy see: NFC and NFD spellings of one password get one estimate.
		const {score, feedback} = zxcvbn.check(normalizePassword(password));
		const warnings = [...(feedback.warning ? [feedback.warning] : []), ...feedback.suggestions];
		return {score, label: strengthLabels[score] ?? 'very weak', warnings};
	};
}

/** Loads the library once; every later call gets the same estimator. A failed load may be tried again. */
export async function loadPasswordStrength(): Promise<PasswordStrengthEstimator> {
	loading ??= createEstimator().then(
		estimator => {
			loaded = estimator;
			return estimator;
		},
		(error: unknown) => {
			loading = undefined;
			throw error;
		},
	);
	return loading;
}

/** The estimator if the library is loaded already, without starting a load. */
export function loadedPasswordStrength(): PasswordStrengthEstimator | undefined {
	return loaded;
}

export async function estimatePasswordStrength(password: string): Promise<PasswordStrength> {
	const estimate = await loadPasswordStrength();
	return estimate(password);
}

/**
 * The worker thread answering the Backup dialog (password-strength-worker.ts). Started by the first estimate asked
 * of it, when a dialog opens, and kept for the next dialog; idle, it never holds the process open. If it
 * cannot start (an incomplete installation) every estimate fails with that reason.
 */
class StrengthThread {
	readonly #worker: Worker;
	readonly #waiting = new Map<number, {resolve: (strength: PasswordStrength) => void; reject: (error: Error) => void}>();
	#nextId = 0;
	#failure: Error | undefined;

	constructor() {
		this.#worker = startSiblingWorker(import.meta.url, 'password-strength-worker');
		this.#worker.on('message', ({id, strength}: StrengthAnswer) => {
			this.#waiting.get(id)?.resolve(strength);
			this.#waiting.delete(id);
			if (this.#waiting.size === 0) this.#worker.unref();
		});
		const fail = (error: Error) => {
			this.#failure ??= error;
			for (const {reject} of this.#waiting.values()) reject(this.#failure);
			this.#waiting.clear();
		};
		this.#worker.on('error', fail);
		this.#worker.on('exit', code => {
			fail(new Error(`the strength estimate's thread stopped (exit code ${code})`));
		});
	}

	async estimate(password: string): Promise<PasswordStrength> {
		if (this.#failure !== undefined) throw this.#failure;
		const id = this.#nextId++;
		return new Promise((resolve, reject) => {
			// Held open only while an answer is awaited: an idle thread never keeps the process from exiting.
			this.#worker.ref();
			this.#waiting.set(id, {resolve, reject});
			this.#worker.postMessage({id, password} satisfies StrengthRequest);
		});
	}
}

let thread: StrengthThread | undefined;

/** The estimate from the worker thread: the caller's thread never loads the dictionaries nor runs zxcvbn. */
export async function estimateInThread(password: string): Promise<PasswordStrength> {
	thread ??= new StrengthThread();
	return thread.estimate(password);
}
