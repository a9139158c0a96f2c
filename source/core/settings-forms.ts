import {RscmError} from '../errors.ts';
import type {Session} from './session.ts';
import {
	setEmailSettings,
	setExecutionAccount,
	setFileShareAccount,
	type AccountSettingsInput,
	type EmailSettingsInput,
} from './shared-settings.ts';

/**
 * What the E-mail Settings, Execution Account and Subscription Settings pages submit, as typed. The SSRS pages
 * never show a saved password back; an empty Password field therefore means "keep the saved one", never "set an
 * empty password". Confirm Password (Execution Account) must match, checked here so the same rule holds for
 * every front end.
 */
export type EmailForm = Omit<EmailSettingsInput, 'password'> & {password: string};
export type AccountForm = {enabled: boolean; account: string; password: string; confirmPassword?: string | undefined};

function typedPassword(password: string): string | undefined {
	return password === '' ? undefined : password;
}

export async function applyEmailSettings(session: Session, form: EmailForm): Promise<void> {
	await setEmailSettings(session, {...form, password: typedPassword(form.password)});
}

function accountInput(form: AccountForm): AccountSettingsInput {
	return {enabled: form.enabled, account: form.account.trim(), password: typedPassword(form.password)};
}

export async function applyExecutionAccount(session: Session, form: AccountForm): Promise<void> {
	if (form.enabled && form.confirmPassword !== undefined && form.password !== form.confirmPassword) {
		throw new RscmError('PASSWORD_MISMATCH', 'Password and Confirm Password differ.', {field: 'confirmPassword'});
	}

	await setExecutionAccount(session, accountInput(form));
}

export async function applyFileShareAccount(session: Session, form: AccountForm): Promise<void> {
	await setFileShareAccount(session, accountInput(form));
}
