import {useEffect, useRef, useState} from 'react';
import type {RotationRow} from '../../../core/key-change.ts';
import {changeKey, type ChangeKeyResult, type ChangeProgress} from '../../../core/key-change.ts';
import type {Session} from '../../../core/session.ts';
import {toRscmError, type Progress, type RscmError} from '../../../errors.ts';
import type {PageProps} from '../../page-types.ts';

/** How a key change started from the page ended, as data: the page words each case its own way. */
export type KeyChangeOutcome =
	| {ended: 'changed'; result: ChangeKeyResult}
	/** Stopped with Esc, Ctrl+C or a quit, after the batch it was in; `progress` is what the catalog committed. */
	| {ended: 'stopped'; progress: Progress | undefined}
	/** A Resume found nothing pending: another server finished the change meanwhile. */
	| {ended: 'finished-elsewhere'}
	| {ended: 'failed'; error: RscmError};

/**
 * What a failed change means for the page, read from the error's code and details (never from its message, whose
 * wording is free to change).
 */
export function keyChangeFailure(error: unknown): KeyChangeOutcome {
	const failure = toRscmError(error);
	if (failure.code === 'NOTHING_TO_RESUME') return {ended: 'finished-elsewhere'};
	if (failure.code === 'CANCELLED') return {ended: 'stopped', progress: failure.details?.progress};
	return {ended: 'failed', error: failure};
}

type KeyChangeContext = Pick<PageProps, 'exitSignal' | 'onExitRequest'> & {session: Session};

/**
 * The Encryption Keys page's running key change: its abort controller, its progress and its exit clean-up. Esc
 * (`stop`), quitting (`exitSignal`) and leaving the page (unmount) each stop it after the batch it is in; the
 * rotation stays pending and resumes on the next change.
 */
export function useKeyChange({session, exitSignal, onExitRequest}: KeyChangeContext) {
	const [progress, setProgress] = useState<ChangeProgress | undefined>();
	const [stopping, setStopping] = useState(false);
	const controller = useRef<AbortController | undefined>(undefined);

	useEffect(() => () => controller.current?.abort(), []);

	/**
	 * Starts the change (or only resumes a pending one), the progress shown from `pending`'s counts until the first
	 * batch reports. Returns undefined, starting nothing, once quitting has begun: the exit would not wait for it.
	 */
	const start = (options: {pending: RotationRow | undefined; resumeOnly: boolean}): Promise<KeyChangeOutcome> | undefined => {
		if (exitSignal.aborted) return undefined;
		const {pending} = options;
		setStopping(false);
		setProgress(pending && {fromVersion: pending.fromVersion, toVersion: pending.toVersion, done: pending.done, total: pending.total});
		const local = new AbortController();
		controller.current = local;
		// Quitting aborts exitSignal: the rotation stops after the batch it is in, and the shell waits for that commit.
		const running = changeKey(session, {signal: AbortSignal.any([local.signal, exitSignal]), onProgress: setProgress, resumeOnly: options.resumeOnly});
		// The shell prints what the exit stopped once the terminal is restored, as `rscm key change` does, and a
		// Ctrl+C that stopped the change exits 130.
		const unregister = onExitRequest(async () =>
			running.then(
				() => undefined,
				(error: unknown) => toRscmError(error),
			),
		);
		return running.then(
			(result): KeyChangeOutcome => ({ended: 'changed', result}),
			keyChangeFailure,
		).finally(() => {
			unregister();
			controller.current = undefined;
		});
	};

	const stop = () => {
		setStopping(true);
		controller.current?.abort();
	};

	return {progress, stopping, start, stop};
}
