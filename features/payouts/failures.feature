@payouts @payouts_6 @emulator_only
Feature: A failed payout ends cancelled and the customer gets the amount back, once
  Proves, in Cryptopay's words:
  - Payouts item 4: Check the payment status using the GET request
  - Payouts item 6: Make sure that you know that the failed payment status will eventually be updated to the cancelled status and the funds charged from the merchant balance will be refunded to the balance
  A payout Cryptopay could not process is "failed"; that is not final: Cryptopay then cancels it and returns
  the charged amount to the merchant's account. The merchant gives the customer back what it debited, once,
  when the payout ends cancelled, however often the notification arrives.

  Background:
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR

  @payouts_4
  Scenario: A failed payout ends cancelled and the customer gets the amount back
    Given the customer has asked to withdraw 20.00 EUR, sent in crypto
    When the payout fails at Cryptopay
    Then Cryptopay reports the payout as cancelled
    And the merchant records the payout as cancelled
    And the customer's balance shows the whole amount again, given back once

  @negative
  Scenario: The "cancelled" notification arriving 50 times at once gives the amount back once
    Given the customer's 20.00 EUR payout, sent in crypto, has failed and ended cancelled
    When Cryptopay sends the "cancelled" notification of the payout 50 times at once
    Then the merchant acknowledged every notification
    And the customer's balance shows the whole amount again, given back once
