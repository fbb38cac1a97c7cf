@payouts @emulator_only
Feature: A payout held or failed that completes after all costs the customer once
  Proves, in Cryptopay's words:
  - Payouts item 4: Check the payment status using the GET request
  - Payouts item 5: Make sure that you have charged the correct amount from the customer's balance on your side
  - Payouts item 6: Make sure that you know that the failed payment status will eventually be updated to the cancelled status and the funds charged from the merchant balance will be refunded to the balance
  Neither on hold nor failed is where a payout ends: Cryptopay may still complete it. The merchant gives the
  customer the amount back only when the payout ends cancelled; a payout held and then released, or one that
  failed and then completed after all, leaves the customer debited what Cryptopay charged, once. Only the
  emulator can hold, release or fail a payout on demand (the sandbox's holds never ended in recorded runs), so
  this is proven on the emulator.

  Background:
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR

  @payouts_4 @payouts_5
  Scenario: A payout Cryptopay holds and then releases debits the customer once
    Given the customer has asked to withdraw 20.00 EUR, sent in crypto
    And Cryptopay has held the payout
    When Cryptopay releases the held payout
    Then Cryptopay reports the payout as completed
    And the merchant records the payout as completed
    And the customer has been debited what Cryptopay charged for the payout, once

  @payouts_4 @payouts_6
  Scenario: A failed payout that Cryptopay completes after all debits the customer once
    Given the customer has asked to withdraw 20.00 EUR, sent in crypto
    When the payout fails at Cryptopay and then completes after all
    Then Cryptopay reports the payout as completed
    And the merchant records the payout as completed
    And the customer has been debited what Cryptopay charged for the payout, once
