import test from 'ava';
import {RscmError, errorCodes, toRscmError} from '../source/errors.ts';

test('an RscmError carries its stable code, message and hint into JSON', t => {
	const error = new RscmError('FILE_EXISTS', 'File /tmp/x.snk already exists.', {hint: 'Use --force to overwrite it.'});
	t.deepEqual(error.toJSON(), {code: 'FILE_EXISTS', message: 'File /tmp/x.snk already exists.', hint: 'Use --force to overwrite it.'});
	t.is(new RscmError('BUSY').message, errorCodes.BUSY);
});

test('anything else thrown becomes INTERNAL', t => {
	t.is(toRscmError(new TypeError('boom')).code, 'INTERNAL');
});

test('details carry an error\'s facts as data, and --json prints them', t => {
	const error = new RscmError('CANCELLED', 'Key change stopped after 2000 of 9000 values.', {details: {progress: {done: 2000, total: 9000}}});
	t.deepEqual(error.details, {progress: {done: 2000, total: 9000}});
	t.deepEqual(error.toJSON(), {code: 'CANCELLED', message: 'Key change stopped after 2000 of 9000 values.', details: {progress: {done: 2000, total: 9000}}});
});

test('an unexpected error becomes one INTERNAL line with the hint to report it; the original stays its cause', t => {
	const original = new TypeError('first line\n  second line');
	const error = toRscmError(original);
	t.is(error.message, 'Unexpected error: first line second line');
	t.regex(error.hint ?? '', /bug in rscm.*RSCM_DEBUG=1/);
	t.is(error.cause, original);
});
