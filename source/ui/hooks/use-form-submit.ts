import {useEffect, useRef, useState} from 'react';
import {errorSummary, toRscmError, type RscmError} from '../../errors.ts';
import type {PageResult} from '../page-types.ts';
import {errorField, type FieldErrorState, type useFieldError} from './use-field-error.ts';

/** How a dialog treats a failure of its OK, where it differs from reporting it and showing it at its field. */
export type SubmitFailureHandling = {
	/**
	 * Answers a failure itself, returning true (the Backup dialog asks before replacing a file that exists, and says
	 * nothing once cancelled); that failure is then neither reported nor shown. `open`: the dialog is still shown.
	 */
	answer?: (failure: RscmError, open: boolean) => boolean;
	/** Where and how the failure shows in the form; by default at errorField's field, with its message and hint. */
	fieldError?: (failure: RscmError) => FieldErrorState;
};

/**
 * A dialog's OK: runs its core call once at a time (a second Enter while it runs starts nothing: state is a frame
 * late, the ref is not), keeps the running promise for the dialog's spinner, and on failure reports the error in the
 * Results pane and puts it at its field. `done` gets the result and whether the dialog is still open (Esc or quitting
 * may have closed it meanwhile); the dialog reports its own success.
 */
export function useFormSubmit(report: (result: PageResult) => void, errors: ReturnType<typeof useFieldError>) {
	const [work, setWork] = useState<Promise<unknown> | undefined>();
	const mounted = useRef(true);
	const busy = useRef(false);
	useEffect(
		() => () => {
			mounted.current = false;
		},
		[],
	);

	const submit = async <T,>(start: () => Promise<T>, done: (result: T, open: boolean) => void, handling: SubmitFailureHandling = {}): Promise<void> => {
		if (busy.current) return;
		busy.current = true;
		errors.set(undefined);
		const running = start();
		setWork(running);
		try {
			done(await running, mounted.current);
		} catch (caught) {
			const failure = toRscmError(caught);
			if (handling.answer?.(failure, mounted.current)) return;
			report({ok: false, message: errorSummary(failure)});
			if (mounted.current) errors.set(handling.fieldError?.(failure) ?? {field: errorField(failure), message: failure.message, hint: failure.hint});
		} finally {
			busy.current = false;
			if (mounted.current) setWork(undefined);
		}
	};

	return {work, submit};
}
