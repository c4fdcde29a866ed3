# frozen_string_literal: true

# azmi for Ruby: managed identity tokens and Azure Resource Manager calls, over azmi's native
# library (the uniffi bindings generated in azmi/azmi_uniffi.rb, never edited by hand). This
# layer only makes the generated API idiomatic: keyword options, Ruby exceptions with the
# stable `code`, parsed JSON, blocks for progress. Every decision is the native library's.
#
#   credential = Azmi::ManagedIdentityCredential.new(client_id: '...')
#   token = credential.get_token('https://management.azure.com/.default')
#   token.token # => the bearer token (inspect and to_s never show it)

require 'json'
require_relative 'azmi/blocking'
require_relative 'azmi/azmi_uniffi'
require_relative 'azmi/errors'
require_relative 'azmi/arm'
require_relative 'azmi/sansio'

module Azmi
  VERSION = '0.1.0'

  # Every option key (snake_case), as the core declares them.
  OPTIONS = AzmiUniffi.option_keys.freeze
  # Every managed identity source, as the core declares them.
  SOURCES = AzmiUniffi.source_names.freeze

  # An access token. `inspect` and `to_s` never show the token itself.
  class AccessToken
    def initialize(native)
      @native = native
    end

    # The token: put it in an `Authorization` header, nowhere else.
    def token = @native.secret
    # Usually `Bearer`.
    def token_type = @native.token_type
    # When it stops working, unix milliseconds.
    def expires_on_ms = @native.expires_on_ms
    # When azmi fetches a new one, unix milliseconds.
    def refresh_on_ms = @native.refresh_on_ms
    # When it stops working.
    def expires_on = Time.at(expires_on_ms / 1000.0)
    # When azmi fetches a new one.
    def refresh_on = Time.at(refresh_on_ms / 1000.0)
    # The audience the endpoint issued it for.
    def resource = @native.resource
    # The source that issued it (`imds`, `app_service`, ...).
    def source = @native.source

    def inspect = "#<Azmi::AccessToken *** expires_on=#{expires_on_ms}>"
    alias to_s inspect
  end

  # Managed identity tokens. Options are the core's keys as keywords (`client_id:`,
  # `object_id:`, `resource_id:`, `source:`, `deadline_ms:`, ...); an unknown key or two
  # selectors raise `Azmi::ConfigurationError` naming the key. `env:` (a Hash) replaces the
  # process environment. Threads share one instance: concurrent callers share one request.
  class ManagedIdentityCredential
    def initialize(env: nil, **options)
      @inner = Azmi.native { AzmiUniffi::ManagedIdentityCredential.new(JSON.generate(options), env) }
      # The native credential bound to each scope asked for: a call then passes no string (the
      # generated code copies each string argument, the largest cost of a cached call). Handles
      # only; the tokens stay in the native cache.
      @scoped = {}
    end

    # The native credential (`ArmClient` takes it).
    def native
      @inner or raise IOError, 'this Azmi::ManagedIdentityCredential is closed'
    end

    # A token for one scope (or resource); `claims` (a challenge's) bypasses the cache. The
    # GVL is released while a fetch waits.
    def get_token(scope, claims: nil)
      inner = native
      return AccessToken.new(Azmi.native { inner.get_token(scope, claims) }) unless claims.nil?

      scoped = @scoped[scope] ||= Azmi.native { inner.for_scope(scope) }
      AccessToken.new(Azmi.native { scoped.get_token })
    end

    # The source this credential uses.
    def source = native.source
    # Which source, and why, in one sentence.
    def explain = native.explain
    # `client_id`, `object_id`, `resource_id`, or nil for the system-assigned identity.
    def selector = native.selector

    # Lets the native credential go (its cache with it); later calls raise `IOError`.
    def close
      @inner = nil
      @scoped = {}
    end

    def inspect
      return '#<Azmi::ManagedIdentityCredential closed>' unless @inner

      sel = selector
      "#<Azmi::ManagedIdentityCredential source=#{source}#{sel ? " #{sel}=…" : ''}>"
    end
    alias to_s inspect
  end
end
