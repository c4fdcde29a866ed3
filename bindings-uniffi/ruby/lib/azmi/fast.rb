# frozen_string_literal: true

require 'ffi'

module Azmi
  # The cached-token fast path (bindings-uniffi/src/fast.rs): one plain C call copies a fresh
  # cached token into a per-thread buffer, instead of the generated code's argument buffers,
  # handle cloning and finalizer (several microseconds per call). When nothing fresh is cached,
  # the caller fetches through the generated `ScopedCredential#get_token`. The cache decision is
  # the native library's either way.
  module Fast
    extend FFI::Library
    # The library the generated code loaded (its module is private to it).
    ffi_lib AzmiUniffi.const_get(:UniFFILib).ffi_libraries.map(&:name)
    attach_function :azmi_fast_cached, %i[uint64 pointer size_t], :int64
    attach_function :azmi_fast_release, [:uint64], :void

    NOT_CACHED = -1
    FAILED = -2
    # The answer's layout: expires, refresh (u64), then the lengths of the token, its type and
    # its resource (u32, all ones for none), then those strings.
    HEADER = 28
    NONE = 0xFFFF_FFFF

    # A proc releasing a handle, built outside the object it finalizes (else it is never freed).
    def self.releaser(handle) = proc { azmi_fast_release(handle) }

    # This thread's buffer, grown to `size` bytes when asked (a real token is 1-3 KB).
    def self.buffer(size = 0)
      buf = Thread.current[:azmi_fast_buffer]
      return buf if buf && buf.size >= size

      Thread.current[:azmi_fast_buffer] = FFI::MemoryPointer.new(:uint8, [size, 4096].max)
    end

    # One scope of a credential: the generated scoped credential, for fetches, and its fast
    # handle, for cached tokens.
    class Scope
      def initialize(scoped, source)
        @scoped = scoped
        @source = source
        @handle = scoped.fast_handle
        ObjectSpace.define_finalizer(self, Fast.releaser(@handle))
      end

      # The cached token, else one fetched (the GVL released while it waits).
      def get_token
        buf = Fast.buffer
        n = Fast.azmi_fast_cached(@handle, buf, buf.size)
        # Too small: grown to the size asked, again if a refresh brought a longer token.
        while n > buf.size
          buf = Fast.buffer(n)
          n = Fast.azmi_fast_cached(@handle, buf, buf.size)
        end
        return AccessToken.from_native(Azmi.native { @scoped.get_token }) if n == NOT_CACHED
        raise Error, 'the azmi native library failed to read its cache' if n < 0

        AccessToken.from_buffer(buf, @source)
      end
    end
  end
end
