@channels @channels_3
Feature: Notifications of payments to a deposit address are received, verified and followed
  Proves, in Cryptopay's words:
  - Channels item 3: Make sure you have received the callbacks and processed them correctly on your side
  Cryptopay notifies the merchant of every change of a payment to a customer's deposit address: when the
  payment is seen ("created") and when it ends ("completed", "on hold", "refunded", "cancelled"). The merchant
  acknowledges each notification and acts on what Cryptopay reports. A notification Cryptopay did not sign is
  refused by the merchant's signature check and changes nothing:
    forged      - signed, but with a secret other than the account's callback secret
    tampered    - signed by Cryptopay, then changed on its way to the merchant
    unsigned    - carries no signature at all
    misdirected - carries Cryptopay's genuine signature, but one made over another notification's content

  Background:
    Given a new customer
    And the customer has a personal address to deposit crypto, credited in EUR

  @emulator_only
  Scenario: Every notification of a payment is acknowledged and followed
    When the customer sends a payment to their deposit address
    Then Cryptopay sent the merchant the "created" and "completed" notifications of the payment, and each was acknowledged
    And the merchant records the payment as completed

  @security
  Scenario Outline: A <kind> notification of a completed payment is refused
    When someone sends the merchant a <kind> "completed" notification of a 100.00 EUR payment to the address
    Then the merchant refused the notification
    And the customer has been credited nothing

    Examples:
      | kind        |
      | forged      |
      | tampered    |
      | unsigned    |
      | misdirected |
