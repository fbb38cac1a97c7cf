@channels @channels_7
Feature: A resent "completed" notification never credits the customer again
  Proves, in Cryptopay's words:
  - Channels item 7: Make sure that resending callbacks with the completed status does not result in the recharging of funds to the customer's balance on your side
  Cryptopay may deliver the notification that a payment completed more than once, and its dashboard can resend
  it. The customer is credited once, however often and however simultaneously the notification arrives.

  Background:
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR
    And the customer's payment to that address has been completed and credited

  Scenario: Cryptopay sends the "completed" notification for the payment again
    When Cryptopay sends the "completed" notification of the payment again
    Then the merchant acknowledged every notification
    And the customer's balance still shows what the payment credited

  Scenario: Cryptopay sends the "completed" notification for the payment 50 times at once
    When Cryptopay sends the "completed" notification of the payment 50 times at once
    Then the merchant acknowledged every notification
    And the customer's balance still shows what the payment credited
