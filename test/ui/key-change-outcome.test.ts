import test from 'ava';
import {RscmError} from '../../source/errors.ts';
import {changeResult} from '../../source/ui/features/encryption-keys/EncryptionKeysPage.tsx';
import {keyChangeFailure} from '../../source/ui/features/encryption-keys/use-key-change.ts';

// The Results line of a key change the page started, from the error the core threw. The counts come from the
// error's details: a message reworded, or with other numbers in it, changes nothing on screen.

test('a stopped key change shows the counts of its details, whatever its message says', t => {
	const stopped = new RscmError('CANCELLED', 'Halted at 1/2 (reworded).', {details: {progress: {done: 4000, total: 60_000}}});
	const outcome = keyChangeFailure(stopped);
	t.deepEqual(outcome, {ended: 'stopped', progress: {done: 4000, total: 60_000}});
	t.deepEqual(changeResult(outcome), {ok: false, message: 'Key change stopped after 4,000 of 60,000 values; press Resume to finish it'});
});

test('a stopped key change without counts in its details shows none, even if its message has some', t => {
	const stopped = new RscmError('CANCELLED', 'Key change stopped after 2,000 of 9,000 values.');
	t.deepEqual(changeResult(keyChangeFailure(stopped)), {ok: false, message: 'Key change stopped; press Resume to finish it'});
});

test('a Resume that found nothing pending, and any other failure, read from the code', t => {
	t.deepEqual(changeResult(keyChangeFailure(new RscmError('NOTHING_TO_RESUME', 'Reworded.'))), {
		ok: true,
		message: 'The key change was finished meanwhile (by another server); nothing to resume',
	});
	t.deepEqual(changeResult(keyChangeFailure(new RscmError('BUSY', 'Another key change is running.'))), {
		ok: false,
		message: 'Another key change is running. [BUSY]',
	});
	t.like(keyChangeFailure(new Error('boom')), {ended: 'failed', error: {code: 'INTERNAL'}});
});
