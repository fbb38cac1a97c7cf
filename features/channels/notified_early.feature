@channels @channels_3 @channels_5 @emulator_only
Feature: A payment notified before the merchant has its deposit address is credited
  Proves, in Cryptopay's words:
  - Channels item 3: Make sure you have received the callbacks and processed them correctly on your side
  - Channels item 5: Make sure that you credit the funds to the customer's balance when the payment status is updated to completed
  Cryptopay sends its notifications on their own, not after its answers: the notification of a payment to a
  new deposit address can reach the merchant before Cryptopay's answer to the merchant's request for that
  address has. The merchant must not lose it: it finds the customer's address by what Cryptopay says, and
  credits the payment once it completes.
  Emulator only: the sandbox cannot make a notification overtake its answer.

  Scenario: A payment notified before the merchant has Cryptopay's answer for the address is credited
    Given a new customer
    And Cryptopay will notify the merchant of a payment to the customer's next deposit address before answering for it
    When the customer asks the merchant for a personal address to deposit crypto, credited in EUR
    Then Cryptopay sent the merchant the notifications of the payment before its answer for the address
    And the merchant records the payment as completed
    And the customer has been credited the declared amount of the payment
