// azmi for Node (ES module entry): the same objects as the CommonJS entry.
import { createRequire } from 'node:module'

import { createClientLogger } from '@azure/logger'

const azmi = createRequire(import.meta.url)('./index.js')
// The logs go to @azure/logger's ES module build, whose setLogLevel an importing program calls.
azmi[Symbol.for('azmi.useLogger')](createClientLogger('azmi'))

export const {
  AccessToken,
  ArmClient,
  ArmFlow,
  AuthenticationError,
  CredentialUnavailableError,
  MSIAppServiceTokenCredentials,
  MSITokenCredentials,
  MSIVmTokenCredentials,
  ManagedIdentityCredential,
  MsiTokenCredentials,
  MsiTokenResponse,
  TokenCache,
  TokenFlow,
  VERSION,
  detect,
  loginWithAppServiceMSI,
  loginWithVmMSI,
  sources,
} = azmi
export default azmi
