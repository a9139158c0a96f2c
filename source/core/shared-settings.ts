import type {CatalogTx} from '../catalog/catalog.ts';
import {audit} from './audit.ts';
import {RscmError} from '../errors.ts';
import {checkSize, inputLimits} from './input-limits.ts';
import {keyringTransaction, signerOf} from './keyring.ts';
import {secretState, writeSecret, type SecretState} from './secret-values.ts';
import {installationIdOf, type Session} from './session.ts';

/**
 * Settings shared by every instance of a deployment. SSRS keeps these per machine in rsreportserver.config, so each
 * scale-out node is set by hand; rscm keeps them once, in the catalog. Clear fields are plain settings; each
 * password is an encrypted value under the symmetric key.
 */
export type SmtpAuthentication = 'none' | 'basic' | 'service-account';

export type EmailSettings = {
	senderAddress: string;
	smtpServer: string;
	authentication: SmtpAuthentication;
	useSecureConnection: boolean;
	userName: string;
	password: SecretState;
};

export type AccountSettings = {
	enabled: boolean;
	account: string;
	password: SecretState;
};

export type SharedSettings = {
	email: EmailSettings;
	execution: AccountSettings;
	fileShare: AccountSettings;
};

/** A password of undefined keeps the stored one; a string replaces it. */
export type EmailSettingsInput = Omit<EmailSettings, 'password'> & {password?: string | undefined};
export type AccountSettingsInput = {enabled: boolean; account: string; password?: string | undefined};

const owners = {email: 'email', execution: 'execution', fileShare: 'fileshare'} as const;

export async function getSharedSettings(session: Session): Promise<SharedSettings> {
	return session.catalog.read(async tx => {
		const values = await tx.getSettings();
		const password = async (owner: string) => secretState(await tx.getSecret({kind: 'setting', owner, field: 'password'}));
		return {
			email: {
				senderAddress: values['email.senderAddress'] ?? '',
				smtpServer: values['email.smtpServer'] ?? '',
				authentication: (values['email.authentication'] as SmtpAuthentication | undefined) ?? 'none',
				useSecureConnection: values['email.useSecureConnection'] === 'true',
				userName: values['email.userName'] ?? '',
				password: await password(owners.email),
			},
			execution: {
				enabled: values['execution.enabled'] === 'true',
				account: values['execution.account'] ?? '',
				password: await password(owners.execution),
			},
			fileShare: {
				enabled: values['fileShare.enabled'] === 'true',
				account: values['fileShare.account'] ?? '',
				password: await password(owners.fileShare),
			},
		};
	});
}

const emailPattern = /^[^\s@]+@[^\s@]+$/;
const hostPattern = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
// DOMAIN\user or user@domain, as Windows accounts are written, or a plain local user name.
const accountPattern = /^[^\s\\@]+([\\@][^\s\\@]+)?$/;

export function validateEmailSettings(input: EmailSettingsInput, passwordStored: boolean): void {
	if (!emailPattern.test(input.senderAddress)) {
		throw new RscmError('INVALID_INPUT', 'Sender Address must be an e-mail address such as reports@example.com.', {field: 'senderAddress'});
	}

	if (!hostPattern.test(input.smtpServer)) {
		throw new RscmError('INVALID_INPUT', 'SMTP Server must be a host name or address, optionally with :port.', {field: 'smtpServer'});
	}

	if (input.authentication === 'basic') {
		checkSize(input.userName, inputLimits.settingAccount, 'User Name', 'userName');
		if (input.password !== undefined) checkSize(input.password, inputLimits.settingPassword, 'Password', 'password');
		if (input.userName.trim() === '') throw new RscmError('INVALID_INPUT', 'User Name is required for username and password authentication.', {field: 'userName'});
		if (!passwordStored && !input.password) throw new RscmError('INVALID_INPUT', 'Password is required for username and password authentication.', {field: 'password'});
	}
}

export function validateAccountSettings(input: AccountSettingsInput, passwordStored: boolean): void {
	if (!input.enabled) return;
	checkSize(input.account, inputLimits.settingAccount, 'Account', 'account');
	if (input.password !== undefined) checkSize(input.password, inputLimits.settingPassword, 'Password', 'password');
	if (!accountPattern.test(input.account)) {
		throw new RscmError('INVALID_INPUT', 'Account must be a user name such as DOMAIN\\user or user@domain.', {field: 'account'});
	}

	if (!passwordStored && !input.password) throw new RscmError('INVALID_INPUT', 'Password is required.', {field: 'password'});
}

async function writeSettingsWithPassword(
	session: Session,
	owner: string,
	clear: Record<string, string | undefined>,
	password: string | undefined | null,
	operation: string,
): Promise<void> {
	const installationId = installationIdOf(session);
	await keyringTransaction(session, 'write', async (tx, keyring, holder) => {
		await tx.putSettings(clear);
		const address = {kind: 'setting' as const, owner, field: 'password'};
		if (password === null) await tx.deleteSecrets({kind: 'setting', owner});
		else if (password !== undefined) await writeSecret(tx, keyring, address, password);
		await audit(tx, installationId, operation, [], '', signerOf(keyring, holder));
	});
}

async function storedPassword(session: Session, owner: string): Promise<boolean> {
	const state = await session.catalog.read(async (tx: CatalogTx) => secretState(await tx.getSecret({kind: 'setting', owner, field: 'password'})));
	return state === 'set';
}

export async function setEmailSettings(session: Session, input: EmailSettingsInput): Promise<void> {
	validateEmailSettings(input, await storedPassword(session, owners.email));
	const keepsPassword = input.authentication === 'basic';
	await writeSettingsWithPassword(
		session,
		owners.email,
		{
			'email.senderAddress': input.senderAddress,
			'email.smtpServer': input.smtpServer,
			'email.authentication': input.authentication,
			'email.useSecureConnection': String(input.useSecureConnection),
			'email.userName': keepsPassword ? input.userName : undefined,
		},
		keepsPassword ? input.password : null,
		'set-email',
	);
}

export async function setExecutionAccount(session: Session, input: AccountSettingsInput): Promise<void> {
	await setAccount(session, 'execution', input);
}

export async function setFileShareAccount(session: Session, input: AccountSettingsInput): Promise<void> {
	await setAccount(session, 'fileShare', input);
}

async function setAccount(session: Session, which: 'execution' | 'fileShare', input: AccountSettingsInput): Promise<void> {
	const owner = owners[which];
	validateAccountSettings(input, await storedPassword(session, owner));
	await writeSettingsWithPassword(
		session,
		owner,
		{[`${which}.enabled`]: String(input.enabled), [`${which}.account`]: input.enabled ? input.account : undefined},
		// Clearing the checkbox removes the account and its password, as SSRS does.
		input.enabled ? input.password : null,
		`set-${which === 'execution' ? 'execution-account' : 'file-share-account'}`,
	);
}
