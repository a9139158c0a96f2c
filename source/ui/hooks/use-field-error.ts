import {useCallback, useState} from 'react';
import type {ErrorCode, RscmError} from '../../errors.ts';
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

/**
 * Which field of the key dialogs an error belongs to, so it is shown next to that field (validation
 * errors sit next to the field that caused them). The core names the field where it knows it; file-system errors
 * come from a shared writer that does not, so they are placed by their code.
 */
const fieldByCode: Partial<Record<ErrorCode, string>> = {
	WEAK_PASSWORD: 'password',
	PASSWORD_MISMATCH: 'confirm',
	WRONG_PASSWORD: 'password',
	DIRECTORY_NOT_FOUND: 'file',
	IS_A_DIRECTORY: 'file',
	PERMISSION_DENIED: 'file',
	FILE_NOT_FOUND: 'file',
	FILE_EXISTS: 'file',
	NOT_A_BACKUP: 'file',
	BACKUP_TOO_LARGE: 'file',
	UNSUPPORTED_BACKUP_VERSION: 'file',
	BACKUP_FOR_OTHER_CATALOG: 'file',
	BACKUP_OUTDATED: 'file',
	DISK_FULL: 'file',
	IO_ERROR: 'file',
};

export function errorField(error: RscmError): string | undefined {
	return error.field ?? fieldByCode[error.code];
}
