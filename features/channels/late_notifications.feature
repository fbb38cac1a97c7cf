@channels @channels_3 @channels_4 @emulator_only @negative
Feature: A late notification never moves a payment back, nor credits it again
  Proves, in Cryptopay's words:
  - Channels item 3: Make sure you have received the callbacks and processed them correctly on your side
  - Channels item 4: Check the payment status using the GET request
  Notifications can arrive late and out of order: the "on hold" of a payment the monitoring team has since
  released, the "created" of a payment already completed. The merchant acknowledges them and asks Cryptopay for
  the payment's status instead of taking the notification's word for it: its record stays completed and the
  customer is credited once.
  Emulator only: the sandbox cannot hold a payment, nor deliver one of its earlier notifications again.

  Background:
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR

  Scenario: A late "on hold" notification does not move a released payment back
    Given the customer has sent a payment to their deposit address from a high-risk source
    And the merchant has acknowledged Cryptopay's notification of the hold
    And Cryptopay's monitoring team has decided the held payment is legitimate
    And the merchant has recorded the payment as completed
    When an earlier "on hold" notification of the payment arrives late
    Then the merchant acknowledged every notification
    And the merchant still records the payment as completed
    And the customer has been credited the declared amount of the payment

  Scenario: A late "created" notification does not move a completed payment back
    Given the customer's payment to that address has been completed and credited
    And the merchant has recorded the payment as completed
    When an earlier "created" notification of the payment arrives late
    Then the merchant acknowledged every notification
    And the merchant still records the payment as completed
    And the customer's balance still shows what the payment credited
