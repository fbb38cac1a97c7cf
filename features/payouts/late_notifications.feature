@payouts @payouts_3 @payouts_4
Feature: A late notification of a payout moves nothing back and debits nothing more
  Proves, in Cryptopay's words:
  - Payouts item 3: Make sure that you have received the callbacks and processed them correctly on your side
  - Payouts item 4: Check the payment status using the GET request
  Notifications can arrive late and out of order: a "processing" notification can reach the merchant after
  the payout completed. The merchant follows the status Cryptopay reports when asked for the payout, never the
  one a notification carries, so its record stays completed and the customer's balance does not move again.

  @negative
  Scenario: A late "processing" notification does not move a completed payout back
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR
    And the customer's 20.00 EUR payout, sent in crypto, has completed
    When an earlier "processing" notification of the payout arrives late
    Then the merchant acknowledged every notification
    And the merchant still records the payout as completed
    And the customer's balance still shows what is left after the payout
