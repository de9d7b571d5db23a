import type { INodeProperties } from 'n8n-workflow';

export const setWarehouseCredentialsProperties: INodeProperties[] = [
	{
		displayName:
			'Warehouse credentials are stored for the OAuth client of the "Alation API" credential, once per data product. Agents and tools that run SQL with that OAuth client then use them automatically. A user sign-in ("Alation User Sign-In OAuth2 API") cannot set them: Alation accepts only an OAuth client here.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
	{
		displayName: 'Data Product ID',
		name: 'dataProductId',
		type: 'string',
		default: '',
		required: true,
		description: 'ID of the data product to set the warehouse credentials for',
	},
	{
		displayName: 'Username',
		name: 'username',
		type: 'string',
		default: '',
		required: true,
		description: 'User name on the data warehouse (not the Alation user)',
	},
	{
		displayName: 'Secret Type',
		name: 'secretType',
		type: 'options',
		default: 'password',
		options: [
			{ name: 'Password', value: 'password', description: 'Basic authentication with the warehouse password' },
			{
				name: 'Private Key',
				value: 'privateKey',
				description: 'Key-pair authentication (e.g. Snowflake) with a PEM private key',
			},
		],
		description:
			'Which secret to send. Exactly one is sent: with an expression here, fill in only the field it selects.',
	},
	{
		displayName: 'Password',
		name: 'password',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		displayOptions: { show: { secretType: ['password'] } },
		description: 'Password of the warehouse user',
	},
	{
		displayName: 'Private Key',
		name: 'privateKey',
		type: 'string',
		typeOptions: { password: true, rows: 4 },
		default: '',
		displayOptions: { show: { secretType: ['privateKey'] } },
		placeholder: '-----BEGIN PRIVATE KEY-----',
		description:
			'The whole PEM key, BEGIN and END lines included. A key on one line with \\n between its lines (as kept in sheets and environment variables) is accepted.',
	},
	{
		displayName: 'Passphrase',
		name: 'passphrase',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		displayOptions: { show: { secretType: ['privateKey'] } },
		description: 'Passphrase of an encrypted private key; leave empty for an unencrypted key',
	},
	{
		displayName: 'State',
		name: 'state',
		type: 'string',
		default: '',
		description: 'Identifier of this credential configuration. Leave empty for a new random UUID per item.',
	},
];
