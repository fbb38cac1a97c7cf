@channels @channels_5 @channels_6
Feature: A deposit address paid again credits every payment
  Proves, in Cryptopay's words:
  - Channels item 5: Make sure that you credit the funds to the customer's balance when the payment status is updated to completed
  - Channels item 6: Make sure that you credit the correct amount to the customer's balance. Remember that paid_amount == received_amount + fee, where received_amount is the amount credited to the Cryptopay merchant balance and fee is the amount of processing fee charged by Cryptopay for processing the payment
  A deposit address is the customer's for good: they pay it whenever they like, as often as they like, often the
  same amount as before. Each payment is credited on its own once it completes: a payment of the same amount to
  the same address is a new payment, not the earlier one again.

  Background:
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR
    And the customer's payment to that address has been completed and credited

  Scenario: The customer pays their deposit address again, the same amount
    When the customer sends another payment of the same amount to their deposit address
    Then Cryptopay reports the payment as completed
    And the customer has been credited the declared amount of each payment
