@payouts @payouts_3 @payouts_6 @emulator_only
Feature: A notification of a payout the merchant could not confirm with Cryptopay is not lost
  Proves, in Cryptopay's words:
  - Payouts item 3: Make sure that you have received the callbacks and processed them correctly on your side
  - Payouts item 6: Make sure that you know that the failed payment status will eventually be updated to the cancelled status and the funds charged from the merchant balance will be refunded to the balance
  The merchant confirms every notification by asking Cryptopay for the payout's status. When Cryptopay cannot
  answer that once, the merchant must not acknowledge the notification as handled: it answers with a failure, so
  that Cryptopay sends it again, and gives the customer the amount back when the retry comes (or finds the status
  again by itself). A notification acknowledged but never acted on is lost for good.
  Emulator only: the sandbox cannot make its answers fail on purpose.

  Scenario: A cancelled payout whose status check failed once still gives the amount back, once
    Given the merchant's Cryptopay account holds 1000.00 EUR to pay customers out
    And a new customer
    And the customer has a balance of 100.00 EUR
    And the customer has asked to withdraw 20.00 EUR, sent in crypto
    And the payout has failed at Cryptopay
    And Cryptopay will fail the merchant's status check of the payout once while it handles the "cancelled" notification
    When Cryptopay cancels the failed payout
    Then the merchant records the payout as cancelled
    And the customer's balance shows the whole amount again, given back once
