import {useCallback, useState} from 'react';
import type {OperationOutcome} from './use-operation.ts';

export type FieldErrorState = {field: string | undefined; message: string; hint?: string};

/**
 * The last error of a form's Apply (or a dialog's OK), kept with the field the core named (RscmError.field), so the
 * form can draw it under that field. Editing the field clears it, as a Windows dialog does once the user corrects
 * the value.
 */
export function useFieldError() {
	const [error, set] = useState<FieldErrorState | undefined>(undefined);
	const take = useCallback(<T,>(outcome: OperationOutcome<T> | undefined) => {
		if (outcome === undefined) return;
		set(outcome.ok ? undefined : {field: outcome.error.field, message: outcome.error.message});
	}, []);
	const messageFor = useCallback((field: string) => (error?.field === field ? error.message : undefined), [error]);
	const clear = useCallback((field?: string) => {
		set(previous => (field === undefined || previous?.field === field ? undefined : previous));
	}, []);
	return {error, set, take, messageFor, clear};
}
