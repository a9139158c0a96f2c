import {useEffect, useRef, useState} from 'react';
import {errorSummary, toRscmError} from '../../errors.ts';
import type {PageResult} from '../page-types.ts';
import {errorField, type useFieldError} from './use-field-error.ts';

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

	const submit = async <T,>(start: () => Promise<T>, done: (result: T, open: boolean) => void): Promise<void> => {
		if (busy.current) return;
		busy.current = true;
		errors.set(undefined);
		const running = start();
		setWork(running);
		try {
			done(await running, mounted.current);
		} catch (caught) {
			const failure = toRscmError(caught);
			report({ok: false, message: errorSummary(failure)});
			if (mounted.current) errors.set({field: errorField(failure), message: failure.message, hint: failure.hint});
		} finally {
			busy.current = false;
			if (mounted.current) setWork(undefined);
		}
	};

	return {work, submit};
}
