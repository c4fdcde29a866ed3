# frozen_string_literal: true

module Azmi
  # One poll of a long-running operation still running: `status` (HTTP), `state` (ARM's, or
  # nil), `wait_ms` until the next poll, `polls` before this one.
  Progress = Struct.new(:status, :state, :wait_ms, :polls, keyword_init: true)

  # Azure Resource Manager as a managed identity. Options: `cloud:` (`public`, `us_government`,
  # `china`), or `arm_endpoint:` with `arm_resource:`, and `deadline_ms:`; without a cloud, the
  # credential's options, then `AZMI_ARM_ENDPOINT`, then the public cloud. Results are parsed
  # JSON (Hashes and Arrays with String keys).
  class ArmClient
    def initialize(credential, **options)
      @inner = Azmi.native { AzmiUniffi::ArmClient.new(credential.native, JSON.generate(options)) }
    end

    # The Resource Manager endpoint.
    def endpoint = @inner.endpoint

    # Every subscription the identity can see.
    def list_subscriptions = call { @inner.list_subscriptions }

    # Every resource group of a subscription.
    def list_resource_groups(subscription_id)
      call { @inner.list_resource_groups(subscription_id) }
    end

    # Creates or updates a resource group; returns it.
    def create_resource_group(subscription_id, name, location, tags: nil)
      call { @inner.create_resource_group(subscription_id, name, location, tags) }
    end

    # Deletes a resource group, waiting until ARM says it is gone; the block (if any) hears each
    # poll as a `Progress`, and an exception it raises stops the operation and is raised here.
    def delete_resource_group(subscription_id, name, &progress)
      with_progress(progress) do |listener|
        @inner.delete_resource_group(subscription_id, name, listener)
      end
      nil
    end

    # Any request on a resource path: `body` is JSON-able, `paged` collects every page's items,
    # `lro` polls a 201/202 answer to its end.
    def request(method, path, api_version:, body: nil, paged: false, lro: false, &progress)
      body = body.nil? ? nil : JSON.generate(body)
      call(progress) do |listener|
        @inner.request(method, path, api_version, body, paged, lro, listener)
      end
    end

    # Runs one operation of the core's table (`{op: 'list_resource_groups', subscription_id:
    # '...'}`); `full` returns the whole outcome.
    def run(operation, full: false, &progress)
      call(progress) { |listener| @inner.run(JSON.generate(operation), full, listener) }
    end

    def inspect = "#<Azmi::ArmClient endpoint=#{endpoint}>"
    alias to_s inspect

    private

    def call(progress = nil, &block)
      JSON.parse(with_progress(progress, &block))
    end

    def with_progress(progress)
      listener = progress && Listener.new(progress)
      Azmi.native { yield listener }
    rescue Azmi::StoppedError
      raise listener.raised if listener&.raised

      raise
    end
  end

  # The native ProgressListener: calls the block; an exception stops the operation.
  class Listener
    attr_reader :raised

    def initialize(block)
      @block = block
      @raised = nil
    end

    def on_progress(progress)
      @block.call(Progress.new(status: progress.status, state: progress.state,
                               wait_ms: progress.wait_ms, polls: progress.polls))
      true
    rescue Exception => e # rubocop:disable Lint/RescueException -- re-raised by the caller
      @raised = e
      false
    end
  end
  private_constant :Listener
end
