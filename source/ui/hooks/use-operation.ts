import {useCallback, useRef, useState} from 'react';
import {errorSummary, toRscmError, type RscmError} from '../../errors.ts';
import type {PageResult} from '../page-types.ts';

export type OperationOutcome<T> = {ok: true; value: T} | {ok: false; error: RscmError};

/**
 * Runs one core operation from a page: marks it running (for spinners and to ignore a second Enter), reports the
 * outcome in the Results pane — ✔ with the success message, or ✖ with the error's message and code — and returns
 * it so a form can put a field error next to its field. The UI holds no logic of its own: it only calls the core.
 */
export function useOperation(report: (result: PageResult) => void, refresh?: () => Promise<void>) {
	const [running, setRunning] = useState(false);
	const runningRef = useRef(false);

	const run = useCallback(
		async <T,>(action: () => Promise<T>, success: (value: T) => string | undefined): Promise<OperationOutcome<T> | undefined> => {
			if (runningRef.current) return undefined;
			runningRef.current = true;
			setRunning(true);
			// The status is read again before the outcome is reported and the page is live again: the page never shows
			// the state from before the operation next to the line that says it is done.
			let outcome: OperationOutcome<T>;
			try {
				outcome = {ok: true, value: await action()};
			} catch (error) {
				outcome = {ok: false, error: toRscmError(error)};
			}

			try {
				await refresh?.();
			} finally {
				if (outcome.ok) {
					const message = success(outcome.value);
					if (message !== undefined) report({ok: true, message});
				} else {
					report({ok: false, message: errorSummary(outcome.error)});
				}

				runningRef.current = false;
				setRunning(false);
			}

			return outcome;
		},
		[report, refresh],
	);

	return {run, running};
}
