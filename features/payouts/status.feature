@payouts @payouts_4
Feature: The merchant's record of a payout matches Cryptopay's
  Proves, in Cryptopay's words:
  - Payouts item 4: Check the payment status using the GET request
  What the merchant shows for a payout follows the status Cryptopay reports when asked for the payout.

  Background:
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR

  Scenario: A completed payout is recorded as completed
    When the customer asks to withdraw 20.00 EUR, sent in crypto
    Then Cryptopay reports the payout as completed
    And the merchant's recorded status of the payout matches Cryptopay's

  @emulator_only
  Scenario: A payout Cryptopay holds is recorded as held
    Given the customer has asked to withdraw 20.00 EUR, sent in crypto
    When Cryptopay holds the payout
    Then Cryptopay reports the payout as on hold
    And the merchant records the payout as on hold
    And the merchant's recorded status of the payout matches Cryptopay's
