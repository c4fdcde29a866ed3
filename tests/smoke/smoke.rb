# frozen_string_literal: true

# The release smoke test, Ruby form: the installed azmi gem gets a token for ARM, lists the
# subscriptions, creates a resource group, sees it listed, deletes it (long-running) and sees it
# gone. Run under `azmi emulate --source imds` (the variables come from it), from a fresh
# GEM_HOME. Prints `smoke ok: ruby <arch>`; on failure, says what and exits 1.
require 'azmi'
require 'rbconfig'

def check(ok, what)
  return if ok

  warn "smoke failed: ruby: #{what}"
  exit 1
end

where = Gem.loaded_specs.fetch('azmi').full_gem_path
check(ENV['GEM_HOME'].nil? || where.start_with?(ENV['GEM_HOME']), "azmi loaded from #{where}, not the fresh GEM_HOME")
credential = Azmi::ManagedIdentityCredential.new
token = credential.get_token('https://management.azure.com/.default')
check(token.token.length >= 20, "a token of #{token.token.length} characters")
check(!token.inspect.include?(token.token), 'inspect shows the token')

arm = Azmi::ArmClient.new(credential)
subscription = arm.list_subscriptions.first
check(subscription, 'no subscription listed')
sub = subscription.fetch('subscriptionId')
group = "azmi-smoke-ruby-#{Process.pid}"
listed = -> { arm.list_resource_groups(sub).any? { |g| g['name'] == group } }
arm.create_resource_group(sub, group, 'westeurope')
check(listed.call, "resource group #{group} is not listed after creation")
arm.delete_resource_group(sub, group)
check(!listed.call, "resource group #{group} is still listed after its deletion")

puts "smoke ok: ruby #{RbConfig::CONFIG['host_cpu']}"
