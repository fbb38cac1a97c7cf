@channels
Feature: Each customer deposits to a personal address
  Proves, in Cryptopay's words:
  - Channels item 1: Create a channel
  - Channels item 2: Send cryptocurrency to the channel address
  - Channels item 4: Check the payment status using the GET request
  A channel is a personal deposit address that Cryptopay keeps for one customer. The customer sends crypto to it
  whenever they like; every payment to it is seen by Cryptopay, and by the merchant, as a deposit of that customer.

  Background:
    Given a new customer

  @channels_1
  Scenario: The merchant gives the customer a personal deposit address
    When the customer asks the merchant for a personal address to deposit crypto, credited in EUR
    Then the customer has a channel at Cryptopay for crypto, credited in EUR, at the address the merchant gave

  @channels_1
  Scenario: A customer who asks again keeps the same deposit address
    Given the customer has a personal address to deposit crypto, credited in EUR
    When the customer asks the merchant for a personal address to deposit crypto, credited in EUR
    Then the customer has a channel at Cryptopay that is the one given before, at the same address

  @channels_2 @channels_4
  Scenario: A payment to the customer's deposit address is seen by Cryptopay and by the merchant
    Given the customer has a personal address to deposit crypto, credited in EUR
    When the customer sends a payment to their deposit address
    Then Cryptopay reports the payment as completed, to the customer's channel, for the amount sent
    And the merchant records the payment as completed
    And the merchant's recorded status of the payment matches Cryptopay's
