// Compiled (not run) by `tsc --noEmit`: azmi's generated types fit @azure/core-auth's
// TokenCredential and ms-rest-js's ServiceClientCredentials, so code typed against them takes
// azmi unchanged.
import type { AccessToken as CoreAccessToken, TokenCredential } from '@azure/core-auth'
import type { ServiceClientCredentials } from '@azure/ms-rest-js'
import { ArmClient, ManagedIdentityCredential, loginWithAppServiceMSI, loginWithVmMSI } from '../../index.js'

export async function check(): Promise<void> {
  const credential: TokenCredential = new ManagedIdentityCredential()
  const byId: TokenCredential = new ManagedIdentityCredential('client-id')
  const byOptions: TokenCredential = new ManagedIdentityCredential({ resourceId: '/subscriptions/x' })
  const token: CoreAccessToken | null = await credential.getToken(['https://management.azure.com/.default'], {
    abortSignal: new AbortController().signal,
  })
  const vm: ServiceClientCredentials = await loginWithVmMSI({ clientId: 'x' })
  const app: ServiceClientCredentials = await loginWithAppServiceMSI()
  const arm = new ArmClient(new ManagedIdentityCredential(), { cloud: 'public' })
  void [byId, byOptions, token, vm, app, arm]
}
