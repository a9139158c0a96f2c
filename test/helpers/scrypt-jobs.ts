import {createHook} from 'node:async_hooks';
import {setTimeout as delay} from 'node:timers/promises';
import type {ExecutionContext} from 'ava';

/**
 * Watches the scrypt jobs this process runs on libuv's pool (the backup KDF), so that a test can wait until a KDF
 * the UI cancelled has really ended (it cannot be interrupted; its result is discarded) instead of sleeping for as
 * long as a KDF might take. Stops watching when the test ends.
 */
export function watchScryptJobs(t: ExecutionContext) {
	let started = 0;
	const running = new Set<number>();
	const hook = createHook({
		init(id, type) {
			if (type !== 'SCRYPTREQUEST') return;
			started++;
			running.add(id);
		},
		// After the job's callback ran: what the KDF's caller does with the result has been done, or scheduled.
		after(id) {
			running.delete(id);
		},
		destroy(id) {
			running.delete(id);
		},
	});
	hook.enable();
	t.teardown(() => hook.disable());
	return {
		/** Waits until at least one scrypt job started and every one that did has finished. */
		async allFinished(timeoutMs = 30_000): Promise<void> {
			const deadline = Date.now() + timeoutMs;
			while (started === 0 || running.size > 0) {
				if (Date.now() > deadline) throw new Error(`scrypt jobs: ${started} started, ${running.size} still running after ${timeoutMs} ms`);
				await delay(10);
			}
		},
	};
}
