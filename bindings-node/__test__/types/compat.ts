// Compiled (not run) by `tsc --noEmit`: azmi's generated types fit @azure/core-auth's
// TokenCredential and ms-rest-js's ServiceClientCredentials, so code typed against them takes
// azmi unchanged.
import type { AccessToken as CoreAccessToken, TokenCredential } from '@azure/core-auth'
import type { ServiceClientCredentials } from '@azure/ms-rest-js'
import {
  ArmClient,
  AuthenticationError,
  CredentialUnavailableError,
  MSIAppServiceTokenCredentials,
  MSIVmTokenCredentials,
  ManagedIdentityCredential,
  loginWithAppServiceMSI,
  loginWithVmMSI,
} from '../../index.js'
import type { MSITokenCredentials, MSITokenResponse, MSIVmOptions } from '../../index.js'
import type { ArmProgress } from '../../index.js'

export async function check(): Promise<void> {
  const credential: TokenCredential = new ManagedIdentityCredential()
  const byId: TokenCredential = new ManagedIdentityCredential('client-id')
  const byOptions: TokenCredential = new ManagedIdentityCredential({ resourceId: '/subscriptions/x' })
  const token: CoreAccessToken | null = await credential.getToken(['https://management.azure.com/.default'], {
    abortSignal: new AbortController().signal,
  })
  // What SDK pipelines pass (@azure/core-auth's GetTokenOptions), written as a literal.
  const piped: CoreAccessToken = await new ManagedIdentityCredential().getToken('https://vault.azure.net/.default', {
    requestOptions: { timeout: 1000 },
    tracingOptions: { tracingContext: undefined },
    enableCae: true,
    tenantId: 't',
    claims: 'c',
  })
  const vm: ServiceClientCredentials = await loginWithVmMSI({ clientId: 'x' })
  const app: ServiceClientCredentials = await loginWithAppServiceMSI()
  const arm = new ArmClient(new ManagedIdentityCredential(), { cloud: 'public' })
  // ms-rest-nodeauth's token response: expiresOn is a Date.
  const expires: Date = (await (await loginWithVmMSI()).getToken()).expiresOn
  // ms-rest-nodeauth's callback forms, `(options, callback)` and `(callback)`.
  loginWithVmMSI({ clientId: 'x' }, (err, creds) => {
    const signed: ServiceClientCredentials | undefined = creds
    void [err?.message, signed]
  })
  loginWithAppServiceMSI((err, creds) => void [err?.name, creds?.resource])
  // ms-rest-nodeauth's classes and type names.
  const vmOptions: MSIVmOptions = { clientId: 'x' }
  const direct: ServiceClientCredentials = new MSIVmTokenCredentials(vmOptions)
  const base: MSITokenCredentials = new MSIAppServiceTokenCredentials({ msiEndpoint: 'http://127.0.0.1/', msiSecret: 's' })
  const response: MSITokenResponse = await base.getToken()
  // @azure/identity's error classes, for instanceof in a catch.
  const failed: unknown = new CredentialUnavailableError('x')
  const status: number | undefined = failed instanceof AuthenticationError ? failed.statusCode : undefined
  void [direct, response.accessToken, status]
  const seen: ArmProgress[] = []
  await arm.deleteResourceGroup('sub', 'rg', { onProgress: (p) => seen.push(p) })
  const items: unknown = await arm.request('GET', '/subscriptions', '2022-12-01', undefined, { paged: true })
  const wait: number = seen[0].waitMs
  void [byId, byOptions, token, piped, vm, app, arm, expires, items, wait]
}
