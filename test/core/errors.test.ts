import test from 'ava';
import {RscmError, errorCodes, toRscmError} from '../../source/core/errors.ts';

test('an RscmError carries its stable code, message and hint into JSON', t => {
	const error = new RscmError('FILE_EXISTS', 'File /tmp/x.snk already exists.', {hint: 'Use --force to overwrite it.'});
	t.deepEqual(error.toJSON(), {code: 'FILE_EXISTS', message: 'File /tmp/x.snk already exists.', hint: 'Use --force to overwrite it.'});
	t.is(new RscmError('BUSY').message, errorCodes.BUSY);
});

test('anything else thrown becomes INTERNAL', t => {
	t.is(toRscmError(new TypeError('boom')).code, 'INTERNAL');
});
