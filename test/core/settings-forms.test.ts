import test from 'ava';
import {deleteEncryptedContent} from '../../source/core/delete-content.ts';
import {applyEmailSettings, applyExecutionAccount, applyFileShareAccount} from '../../source/core/settings-forms.ts';
import {inputLimits} from '../../source/core/input-limits.ts';
import {getSharedSettings} from '../../source/core/shared-settings.ts';
import {joinedInstance, rejectsWithCode} from '../helpers/catalog-fixtures.ts';

const email = {
	senderAddress: 'reports@example.com',
	smtpServer: 'smtp.example.com',
	authentication: 'basic' as const,
	useSecureConnection: true,
	userName: 'mailer',
	password: 'Sm7p-Secret!',
};

test('an empty password field keeps the saved password', async t => {
	const {session} = await joinedInstance(t);
	await applyEmailSettings(session, email);
	await applyEmailSettings(session, {...email, smtpServer: 'smtp2.example.com', password: ''});
	t.like((await getSharedSettings(session)).email, {smtpServer: 'smtp2.example.com', password: 'set'});

	await applyFileShareAccount(session, {enabled: true, account: 'CORP\\share', password: 'S3cret!'});
	await applyFileShareAccount(session, {enabled: true, account: ' CORP\\share2 ', password: ''});
	t.like((await getSharedSettings(session)).fileShare, {enabled: true, account: 'CORP\\share2', password: 'set'});
});

test('the first password is required; an empty one is never stored', async t => {
	const {session} = await joinedInstance(t);
	const error = await rejectsWithCode(t, applyEmailSettings(session, {...email, password: ''}), 'INVALID_INPUT');
	t.is((error as {field?: string}).field, 'password');
	const account = await rejectsWithCode(t, applyExecutionAccount(session, {enabled: true, account: 'CORP\\exec', password: '', confirmPassword: ''}), 'INVALID_INPUT');
	t.is((account as {field?: string}).field, 'password');
});

test('Confirm Password must match, at its own field; nothing is saved', async t => {
	const {session} = await joinedInstance(t);
	const error = await rejectsWithCode(
		t,
		applyExecutionAccount(session, {enabled: true, account: 'CORP\\exec', password: 'Exec-Pass1', confirmPassword: 'Exec-Pass2'}),
		'PASSWORD_MISMATCH',
	);
	t.is((error as {field?: string}).field, 'confirmPassword');
	t.false(error.message.includes('Exec-Pass'));
	t.like((await getSharedSettings(session)).execution, {enabled: false, password: 'unset'});

	await applyExecutionAccount(session, {enabled: true, account: 'CORP\\exec', password: 'Exec-Pass1', confirmPassword: 'Exec-Pass1'});
	t.like((await getSharedSettings(session)).execution, {enabled: true, account: 'CORP\\exec', password: 'set'});
	// Clearing the checkbox removes the account and its password, whatever the other fields hold.
	await applyExecutionAccount(session, {enabled: false, account: 'CORP\\exec', password: 'x', confirmPassword: 'y'});
	t.like((await getSharedSettings(session)).execution, {enabled: false, account: '', password: 'unset'});
});

test('after Delete encrypted content the saved password reads as needs re-entry', async t => {
	const {session} = await joinedInstance(t);
	await applyFileShareAccount(session, {enabled: true, account: 'CORP\\share', password: 'S3cret!'});
	await deleteEncryptedContent(session);
	t.is((await getSharedSettings(session)).fileShare.password, 'needs-reentry');
});

test('a settings password or account over its cap is INPUT_TOO_LARGE at its field, in the UI path too; nothing is saved', async t => {
	const {session} = await joinedInstance(t);
	const password = 'x'.repeat(inputLimits.settingPassword + 1);
	const mail = await rejectsWithCode(t, applyEmailSettings(session, {...email, password}), 'INPUT_TOO_LARGE');
	t.is((mail as {field?: string}).field, 'password');
	t.false(mail.message.includes('xxxx'));
	const account = await rejectsWithCode(t, applyExecutionAccount(session, {enabled: true, account: 'CORP\\exec', password, confirmPassword: password}), 'INPUT_TOO_LARGE');
	t.is((account as {field?: string}).field, 'password');
	const name = await rejectsWithCode(t, applyFileShareAccount(session, {enabled: true, account: `CORP\\${'a'.repeat(inputLimits.settingAccount)}`, password: 'S3cret!'}), 'INPUT_TOO_LARGE');
	t.is((name as {field?: string}).field, 'account');
	const settings = await getSharedSettings(session);
	t.like(settings.email, {password: 'unset', smtpServer: ''});
	t.like(settings.execution, {enabled: false, password: 'unset'});
	t.like(settings.fileShare, {enabled: false, password: 'unset'});
});
