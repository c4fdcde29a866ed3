# frozen_string_literal: true

require 'ffi'

module Azmi
  # The generated code attaches every native function as non-blocking: a Ruby thread inside a
  # token fetch or an ARM call would hold the GVL for the whole request, stopping every other
  # thread. Before it loads, this hook marks the calls that may do I/O or wait as `blocking`
  # (ruby-ffi releases the GVL around them; a progress callback takes it back).
  module BlockingCalls
    LIBRARY = 'AzmiUniffi::UniFFILib'
    BLOCKING = /\Auniffi_azmi_uniffi_fn_method_(managedidentitycredential_get_token|
                scopedcredential_get_token|
                armclient_(list_subscriptions|list_resource_groups|create_resource_group|
                delete_resource_group|request|run))\z/x.freeze

    def attach_function(name, func, args, returns = nil, options = nil)
      if returns.nil? && self.name == LIBRARY && BLOCKING.match?(name.to_s)
        return super(name, func, args, { blocking: true })
      end

      super
    end
  end
end

FFI::Library.prepend(Azmi::BlockingCalls)
