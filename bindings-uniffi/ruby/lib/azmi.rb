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
require_relative 'azmi/fast'
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
    # The token: put it in an `Authorization` header, nowhere else.
    attr_reader :token
    # Usually `Bearer`.
    attr_reader :token_type
    # When it stops working, unix milliseconds.
    attr_reader :expires_on_ms
    # When azmi fetches a new one, unix milliseconds.
    attr_reader :refresh_on_ms
    # The audience the endpoint issued it for (nil when it did not say).
    attr_reader :resource
    # The source that issued it (`imds`, `app_service`, ...).
    attr_reader :source

    def initialize(token, token_type, expires_on_ms, refresh_on_ms, resource, source)
      @token = token
      @token_type = token_type
      @expires_on_ms = expires_on_ms
      @refresh_on_ms = refresh_on_ms
      @resource = resource
      @source = source
    end

    # From the generated token object (a fetch).
    def self.from_native(native)
      new(native.secret, native.token_type, native.expires_on_ms, native.refresh_on_ms,
          native.resource, native.source)
    end

    # From the fast path's answer in `buf` (Azmi::Fast: two u64 times, three u32 lengths, the
    # strings).
    def self.from_buffer(buf, source)
      t = buf.get_uint32(16)
      y = buf.get_uint32(20)
      r = buf.get_uint32(24)
      at = Fast::HEADER
      token = buf.get_bytes(at, t).force_encoding(Encoding::UTF_8)
      type = buf.get_bytes(at + t, y).force_encoding(Encoding::UTF_8)
      resource = buf.get_bytes(at + t + y, r).force_encoding(Encoding::UTF_8) unless r == Fast::NONE
      new(token, type, buf.get_uint64(0), buf.get_uint64(8), resource, source)
    end

    # When it stops working.
    def expires_on = Time.at(expires_on_ms / 1000.0)
    # When azmi fetches a new one.
    def refresh_on = Time.at(refresh_on_ms / 1000.0)

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
      # Each scope asked for, bound once (Azmi::Fast::Scope): a cached call then passes no
      # string and goes through one plain C call. Handles only; the tokens stay in the native
      # cache.
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
      return AccessToken.from_native(Azmi.native { inner.get_token(scope, claims) }) unless claims.nil?

      (@scoped[scope] ||= Fast::Scope.new(Azmi.native { inner.for_scope(scope) }, source)).get_token
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
