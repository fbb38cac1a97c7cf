@payouts @payouts_6 @emulator_only
Feature: The first "cancelled" notification of a payout arriving many times at once gives the amount back once
  Proves, in Cryptopay's words:
  - Payouts item 6: Make sure that you know that the failed payment status will eventually be updated to the cancelled status and the funds charged from the merchant balance will be refunded to the balance
  Copies of a notification can race each other before the merchant has given anything back. The merchant
  must still give the customer the amount back once: only its own records refusing a second return for the same
  payout, even at the same instant, guarantee it; a check "not given back yet?" followed by a separate write lets
  every copy through. Only the emulator can delay Cryptopay's notifications and fail a payout on demand, so this
  is proven on the emulator.

  @negative
  Scenario: The very first "cancelled" notification of a payout arrives 50 times at once
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR
    And Cryptopay's notifications to the merchant are delayed
    And the customer has asked to withdraw 20.00 EUR, sent in crypto
    And the payout has failed at Cryptopay
    And Cryptopay has reported the payout as cancelled
    When the "cancelled" notification of the payout reaches the merchant 50 times at once
    Then the merchant acknowledged every notification
    And the customer's balance shows the whole amount again, given back once
