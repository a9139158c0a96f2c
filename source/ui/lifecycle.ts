import type {RscmError} from '../errors.ts';
import type {ExitCleanup} from './page-types.ts';

/** Why the UI is stopping; run-ui maps it to the exit code. */
export type ExitReason = 'quit' | 'interrupt' | 'SIGTERM' | 'SIGHUP';

export type LifecycleState = 'running' | 'stopping';

/** How the clean-ups ended, for run-ui's exit code and what it prints after the terminal is restored. */
export type StopOutcome = {
	/** The errors the clean-ups resolved with: operations the exit stopped (CANCELLED), or that failed meanwhile. */
	stopped: RscmError[];
	/** Clean-ups still running when the exit was forced (a second Ctrl+C, a hang-up, the time limit). */
	unfinished: number;
};

export type UiLifecycleOptions = {
	/** Called once, when every clean-up has settled (or timed out, or the user forced the exit). */
	onStop: (reason: ExitReason, outcome: StopOutcome) => void;
	/**
	 * How long to wait for clean-ups. A key rotation batch is one short transaction, so a few seconds is plenty;
	 * the limit exists so a wedged clean-up (a lost network catalog) cannot keep a dropped SSH session alive.
	 */
	cleanupTimeoutMs?: number;
};

/**
 * The orderly exit. Quitting first aborts `signal` and runs the registered clean-ups (a page stopping its
 * rotation after the current batch), then calls `onStop`. A second Ctrl+C while that runs stops at once: the user
 * always keeps a way out, and every key operation is atomic, so stopping mid-batch is safe (only slower to resume).
 */
export class UiLifecycle {
	readonly #controller = new AbortController();
	readonly #cleanups = new Set<ExitCleanup>();
	readonly #listeners = new Set<() => void>();
	readonly #onStop: (reason: ExitReason, outcome: StopOutcome) => void;
	readonly #stopped: RscmError[] = [];
	#unfinished = 0;
	readonly #cleanupTimeoutMs: number;
	#state: LifecycleState = 'running';
	#stoppedOnce = false;

	constructor(options: UiLifecycleOptions) {
		this.#onStop = options.onStop;
		this.#cleanupTimeoutMs = options.cleanupTimeoutMs ?? 10_000;
	}

	get signal(): AbortSignal {
		return this.#controller.signal;
	}

	readonly getState = (): LifecycleState => this.#state;

	/** Whether quitting has work to wait for (a page registered a clean-up). */
	readonly hasPendingCleanups = (): boolean => this.#cleanups.size > 0;

	readonly subscribe = (listener: () => void): (() => void) => {
		this.#listeners.add(listener);
		return () => {
			this.#listeners.delete(listener);
		};
	};

	readonly onExitRequest = (cleanup: ExitCleanup): (() => void) => {
		this.#cleanups.add(cleanup);
		return () => {
			this.#cleanups.delete(cleanup);
		};
	};

	readonly requestExit = (reason: ExitReason): void => {
		if (this.#state === 'stopping') {
			// Only a person pressing Ctrl+C again, or the session going away, cuts the clean-up short.
			if (reason !== 'quit') this.#stop(reason);
			return;
		}

		this.#state = 'stopping';
		for (const listener of this.#listeners) listener();
		this.#controller.abort(new Error(`Exit requested (${reason})`));
		void this.#runCleanups().then(() => {
			this.#stop(reason);
		});
	};

	async #runCleanups(): Promise<void> {
		if (this.#cleanups.size === 0) return;
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<void>(resolve => {
			timer = setTimeout(resolve, this.#cleanupTimeoutMs);
		});
		const cleanups = [...this.#cleanups];
		this.#unfinished = cleanups.length;
		const all = Promise.allSettled(
			cleanups.map(async cleanup => {
				try {
					const outcome = await cleanup();
					if (outcome) this.#stopped.push(outcome);
				} finally {
					this.#unfinished--;
				}
			}),
		);
		await Promise.race([all, timeout]);
		clearTimeout(timer);
	}

	#stop(reason: ExitReason): void {
		if (this.#stoppedOnce) return;
		this.#stoppedOnce = true;
		this.#onStop(reason, {stopped: [...this.#stopped], unfinished: this.#unfinished});
	}
}
